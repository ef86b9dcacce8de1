package extract

func (j *job) html() error   { return nil }
func (j *job) office() error { return nil }
func (j *job) mail() error   { return nil }
func (j *job) image() error  { return nil }
