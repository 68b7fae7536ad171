import './base.css';
import './teaching.css';
